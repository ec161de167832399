// What is wider than the window: the page, a card, a table outside a scrolling wrapper (a
// .table-responsive, or a box of its own that scrolls sideways, as the admin's changelist has),
// or a .table-responsive wider than the box it sits in (then it widens its card instead of
// scrolling).
// Each as {message, detail}: the message names the element the same way in every language (its
// test id, id or classes and its place among its kind), the detail gives its title and sizes.
(() => {
  const found = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  const name = (el) => {
    const tag = el.tagName.toLowerCase();
    if (el.dataset.testid) return `${tag}[data-testid=${el.dataset.testid}]`;
    if (el.id) return `${tag}#${el.id}`;
    const classes = el.classList.length ? "." + [...el.classList].join(".") : "";
    const same = [...document.querySelectorAll(tag + classes)];
    return `${tag}${classes} (${same.indexOf(el) + 1} of ${same.length})`;
  };
  const title = (el) => {
    const heading = el.querySelector(".card-title, h2, h3, caption, th");
    return heading ? `"${heading.innerText.trim().slice(0, 40)}", ` : "";
  };
  const shown = (el) => el.getClientRects().length > 0;
  const scrolls = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (up.classList.contains("table-responsive")) return true;
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  if (root.scrollWidth > width) {
    found.push({message: "the page is wider than the window",
                detail: `${root.scrollWidth}px in ${width}px`});
  }
  for (const el of document.querySelectorAll(".card, table")) {
    if (!shown(el) || scrolls(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 || box.left < -1) {
      found.push({message: `${name(el)} reaches past the window`,
                  detail: `${title(el)}${Math.round(box.left)}..${Math.round(box.right)}px of ${width}px`});
    } else if (el.tagName === "TABLE") {
      const outer = el.parentElement.getBoundingClientRect();
      if (box.right > outer.right + 1) {
        found.push({message: `${name(el)} is wider than its box and not in a .table-responsive`,
                    detail: `${title(el)}${Math.round(box.width)}px in ${Math.round(outer.width)}px`});
      }
    }
  }
  for (const el of document.querySelectorAll(".table-responsive")) {
    if (!shown(el)) continue;
    const parent = el.parentElement;
    const style = getComputedStyle(parent);
    const inner = parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const box = el.getBoundingClientRect();
    if (box.width > inner + 1) {
      found.push({message: `${name(el)} is wider than the ${parent.tagName.toLowerCase()} it sits in`,
                  detail: `${title(el)}${Math.round(box.width)}px in ${Math.round(inner)}px`});
    }
  }
  return found;
})
