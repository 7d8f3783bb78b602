/* Draws every <div class="echart" data-option="..."> with Apache ECharts (served from our own static
   folder; see bank_tax/web/charts.py, which writes the options). Without ECharts the data table beside
   each chart is still there. */
(function () {
  "use strict";
  function draw() {
    if (!window.echarts) { return; }
    var lang = document.documentElement.lang === "en" ? "EN" : "ZH";
    document.querySelectorAll(".echart[data-option]").forEach(function (el) {
      try {  // one bad chart leaves its table, not the page's other charts, without a drawing
        var chart = window.echarts.init(el, null, { renderer: "svg", locale: lang });
        chart.setOption(JSON.parse(el.dataset.option));
        el.dataset.drawn = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      } catch (err) {
        console.warn("chart not drawn", err);
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
