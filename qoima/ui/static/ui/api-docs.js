/* Starts Swagger UI on the API reference page. It lives in a file, not in the page, so a content
   security policy without 'unsafe-inline' allows it; what it needs comes from data attributes. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle === "undefined") {
    return;
  }
  var extra = {};
  try {
    extra = JSON.parse(node.dataset.settings || "{}");
  } catch (error) {
    // Settings written as JavaScript rather than JSON cannot run without an inline script.
    extra = {};
  }
  var header = node.dataset.csrfHeader;
  var token = node.dataset.csrfToken;
  var sameOrigin = function (url) {
    return new URL(url, document.baseURI).origin === window.location.origin;
  };
  window.SwaggerUIBundle(Object.assign(
    // No online validator: the platform must work offline and its schema stays in the house.
    { validatorUrl: null, deepLinking: true },
    extra,
    {
      url: node.dataset.schemaUrl,
      domNode: node,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      requestInterceptor: function (request) {
        // A logged-in session's writes need Django's CSRF header; token calls ignore it.
        if (request.method && request.method !== "GET" && header && token && sameOrigin(request.url)) {
          request.headers[header] = token;
        }
        return request;
      }
    }
  ));
})();
