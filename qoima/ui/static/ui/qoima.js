// Behaviour the design system gives every page, without inline scripts.
(function () {
  "use strict";

  // A danger button (Reject, Suspend, Freeze…) asks before its form is sent.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target.closest("form");
    var message = form && form.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // A table too wide for the screen scrolls inside its box; keyboard users reach that box
  // with Tab and scroll it with the arrow keys, and screen readers hear what it holds.
  var scrollables = function () {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight) {
        if (!box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          var card = box.closest(".card");
          var title = card && card.querySelector(".card-title, h2, h3");
          box.setAttribute("aria-label", title ? title.textContent.trim() : document.title);
        }
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  };
  scrollables();
  window.addEventListener("resize", scrollables);
  window.addEventListener("load", scrollables);
  // Live parts (htmx refreshes) bring new tables: marked as soon as they are in the page.
  new MutationObserver(scrollables).observe(document.body, {childList: true, subtree: true});

  // A select marked data-autosubmit (the language) sends its form when changed.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.submit();
    }
  });

  // Copy buttons next to shortened hashes and addresses copy the whole value.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var done = function () {
      var label = button.getAttribute("aria-label");
      button.setAttribute("aria-label", button.dataset.copied || label);
      button.classList.add("text-success");
      window.setTimeout(function () {
        button.setAttribute("aria-label", label);
        button.classList.remove("text-success");
      }, 1500);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(button.dataset.copy).then(done, function () {});
    }
  });

  // Once the browser has registered a passkey (django-otp-webauthn's script says so), the
  // page goes where its block names: the recovery codes, or back to the page.
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var block = event.target.closest("[data-passkey-done]");
    if (block) {
      window.location.assign(block.dataset.passkeyDone);
    }
  });
})();
