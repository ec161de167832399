// Marks every control a keyboard user must reach (radio buttons by group: Tab stops once in a
// group) and counts focus as it lands on them; returns the marks.
((vendor) => {
  if (!document.querySelector("form")) return null;
  const controls = [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
    .filter((el) => !el.disabled && !el.closest("[inert]") && !(vendor && el.closest(vendor))
      && el.checkVisibility({checkVisibilityCSS: true}) && el.getClientRects().length > 0);
  const marks = {};
  controls.forEach((el, n) => {
    const mark = el.type === "radio" && el.name ? `radio:${el.form ? el.form.id : ""}:${el.name}` : `c${n}`;
    el.dataset.walkMark = mark;
    const label = el.labels && el.labels[0] ? el.labels[0].innerText.trim() : "";
    const words = (label || el.getAttribute("aria-label") || el.innerText || el.value || "").trim().slice(0, 40);
    marks[mark] = `${el.tagName.toLowerCase()}${el.name ? `[name=${el.name}]` : ""}${words ? ` "${words}"` : ""}`;
  });
  window.__walkReached = new Set();
  document.addEventListener("focusin", (event) => {
    const mark = event.target.dataset && event.target.dataset.walkMark;
    if (mark) window.__walkReached.add(mark);
  });
  return {marks, stops: document.querySelectorAll("a[href], input, select, textarea, button, [tabindex]").length};
})
