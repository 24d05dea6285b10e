"use strict";
OIRU.pages.users = function () {
  const columns = [
    { title: "Name", key: "name" }, { title: "Role", key: "role" },
    { title: "Agency", render: (u) => u.agency || "–" }, { title: "Provider", render: (u) => u.provider || "–" },
  ];
  const load = () => OIRU.pager("/api/v1/users", { limit: 500 }, columns, document.getElementById("table"));
  document.getElementById("user-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value || null;
    try {
      await OIRU.api("POST", "/api/v1/users", { name: v("user-name"), role: v("user-role"), agency: v("user-agency"), provider: v("user-provider"), password: v("user-password") });
      OIRU.flash("User added.");
      ev.target.reset();
      load();
    } catch (err) { OIRU.showError(err); }
  });
  return load();
};
