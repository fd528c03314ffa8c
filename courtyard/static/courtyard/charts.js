// ECharts charts without inline scripts (the Content-Security-Policy forbids them).
// Markup: <div class="cy-chart" data-chart-option="ID"></div> and the option as
// {{ option|json_script:"ID" }}; this file draws every such chart and resizes it with the window.
(function () {
  "use strict";

  function draw() {
    if (!window.echarts) {
      return;
    }
    var charts = [];
    document.querySelectorAll("[data-chart-option]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart-option"));
      if (!source) {
        return;
      }
      var option;
      try {
        option = JSON.parse(source.textContent);
      } catch (error) {
        return;
      }
      var existing = window.echarts.getInstanceByDom(element);
      if (existing) {
        existing.dispose();
      }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option);
      element.setAttribute("data-chart-ready", "1");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
