// A market's candles drawn with lightweight-charts: the first bars from the page (json_script),
// then fresh ones from the candles API every 30 seconds or when another interval is chosen.
// Prices arrive in tiyn per whole token and are shown in tenge.
(function () {
  "use strict";
  var REFRESH_MS = 30000;

  function bars(candles) {
    return candles.map(function (c) {
      return { time: c.time, open: c.open / 100, high: c.high / 100, low: c.low / 100, close: c.close / 100 };
    });
  }

  function draw(box) {
    if (box.dataset.drawn || !window.LightweightCharts) return;
    box.dataset.drawn = "1";
    var charts = window.LightweightCharts;
    var language = document.documentElement.lang || "ru";
    var chart = charts.createChart(box, {
      autoSize: true,
      localization: {
        locale: language,
        priceFormatter: function (price) {
          return new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(price) + "\u00a0\u20b8";
        },
      },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    var series = chart.addSeries(charts.CandlestickSeries, {});
    var source = document.getElementById(box.dataset.marketChart);
    series.setData(bars(source ? JSON.parse(source.textContent) : []));
    chart.timeScale().fitContent();

    var interval = "1h";
    var card = box.closest("section") || document;
    function load() {
      fetch(box.dataset.candlesUrl + "?interval=" + interval, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (candles) { if (candles) series.setData(bars(candles)); });
    }
    card.querySelectorAll("[data-candle-interval]").forEach(function (button) {
      button.addEventListener("click", function () {
        interval = button.dataset.candleInterval;
        card.querySelectorAll("[data-candle-interval]").forEach(function (other) {
          other.classList.toggle("active", other === button);
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        load();
        chart.timeScale().fitContent();
      });
    });
    window.setInterval(load, REFRESH_MS);
  }

  function drawAll() {
    document.querySelectorAll("[data-market-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
