// Draws each chart of the page from the figures the server put beside it: a canvas names the
// JSON script holding its data in data-chart ({days: [...], series: [{label, data}]}). The same
// figures are in a table next to the canvas, for readers who cannot see the picture.
(function () {
  if (typeof Chart === "undefined") return;
  // Tabler's blue, orange, purple, teal and red: told apart by people with the common
  // colour-vision deficiencies, each dark enough on white.
  const colours = ["#066fd1", "#f76707", "#ae3ec9", "#0ca678", "#d63939"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.days,
        datasets: data.series.map(function (series, i) {
          return { label: series.label, data: series.data, backgroundColor: colours[i % colours.length] };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        locale: document.documentElement.lang,
        scales: { y: { beginAtZero: true } },
      },
    });
  });
})();
