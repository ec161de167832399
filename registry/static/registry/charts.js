// Draws the page's volume chart from the data the server put beside it (#chart-data).
(function () {
  const canvas = document.getElementById("volume-chart");
  const source = document.getElementById("chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = ["#0b6e4f", "#b3261e", "#3b6ea8"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.days,
      datasets: data.series.map((series, i) => ({
        label: series.label,
        data: series.data,
        backgroundColor: colours[i % colours.length],
      })),
    },
    options: {
      animation: false,
      locale: document.documentElement.lang,
      scales: { y: { beginAtZero: true } },
    },
  });
})();
