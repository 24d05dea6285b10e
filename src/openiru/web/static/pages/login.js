"use strict";
OIRU.pages.login = function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const res = await OIRU.api("POST", "/api/v1/auth/login", {
        name: document.getElementById("login-name").value,
        password: document.getElementById("login-password").value,
      });
      const next = OIRU.keyParam("next");
      location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
      return res;
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
  document.getElementById("login-name").focus();
};
