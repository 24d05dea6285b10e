"use strict";
/* Post view: the post, its detection evidence, its media (blurred until clicked), and "refer". */
OIRU.pages.post = async function () {
  const { api, el } = OIRU;
  const platform = OIRU.keyParam("platform"), postId = OIRU.keyParam("post_id");
  const path = encodeURIComponent(platform) + "/" + postId.split("/").map(encodeURIComponent).join("/");
  const post = await api("GET", "/api/v1/posts/" + path);
  const spans = [];
  const box = document.getElementById("post");
  const textNode = el("pre.text#post-text", { text: post.text });
  box.replaceChildren(
    el("p", {}, el("strong", { text: post.platform + ":" + post.post_id }), " by ", OIRU.accountLink(post.author || post.account), " · ", OIRU.fmtTime(post.timestamp), post.language ? " · " + post.language : ""),
    textNode,
    post.urls.length ? el("p", {}, "Links: ", post.urls.join(" ")) : null,
    post.hashtags.length ? el("p", {}, "Hashtags: ", post.hashtags.map((h) => "#" + h).join(" ")) : null,
  );
  const media = document.getElementById("media-body");
  for (const m of post.media) {
    if (m.missing) { media.append(el("p.hint", { text: "A media item was not collected." })); continue; }
    const src = "/api/v1/media/" + encodeURIComponent(m.media_key);
    const isVideo = (m.mime || "").startsWith("video/");
    const node = isVideo ? el("video.blurred", { src: src, preload: "metadata", controls: true }) : el("img.blurred", { src: src, alt: "collected media (blurred)", loading: "lazy" });
    node.addEventListener("click", () => node.classList.toggle("blurred"));
    media.append(el("figure", {}, node, el("figcaption.hint", { text: (m.mime || "unknown type") + (m.pdq ? " · PDQ " + m.pdq.slice(0, 16) + "…" : "") })));
  }
  if (window.OIRU_POST_EVIDENCE) await window.OIRU_POST_EVIDENCE(post, textNode, spans);
  if (window.OIRU_POST_REFER) window.OIRU_POST_REFER(post);
  else document.getElementById("refer").hidden = true;
};
