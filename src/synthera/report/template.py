"""The page around a report: one self-contained HTML file, Plotly's JavaScript inlined.

`$`-placeholders are filled by string.Template; every user-provided string reaching them
has been escaped by the caller (see `synthera.report.html.esc`).
"""

from __future__ import annotations

from string import Template

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Synthera $version">
<title>$title</title>
<style>$css</style>
<script>$plotly_js</script>
</head>
<body>
<main>
$body
</main>
<script>
(function () {
  var figures = $figures;
  var config = {responsive: true, displaylogo: false, displayModeBar: false};
  Object.keys(figures).forEach(function (id) {
    var fig = figures[id];
    Plotly.newPlot(id, fig.data, fig.layout, config);
  });
})();
</script>
</body>
</html>
"""
)

CSS = """
:root { --green: #1a7f37; --amber: #b7791f; --red: #c53030; --grey: #718096;
        --ink: #1a202c; --muted: #4a5568; --line: #e2e8f0; --soft: #f7fafc; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 64px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin: 40px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 1.05rem; margin: 24px 0 6px; }
p, li { max-width: 80ch; }
.muted { color: var(--muted); }
.explain { background: var(--soft); border-left: 4px solid #90cdf4; padding: 10px 14px;
           margin: 10px 0 16px; }
.explain p { margin: 4px 0; }
.scorecard { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr));
             gap: 12px; margin: 16px 0; }
.tile { border: 1px solid var(--line); border-top: 6px solid var(--grey); border-radius: 6px;
        padding: 12px 14px; min-width: 0; }
.tile.green { border-top-color: var(--green); } .tile.amber { border-top-color: var(--amber); }
.tile.red { border-top-color: var(--red); }
.tile .family { font-weight: 600; text-transform: capitalize; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
         font-size: 0.8rem; font-weight: 600; margin-left: 6px; background: var(--grey); }
.badge.green { background: var(--green); } .badge.amber { background: var(--amber); }
.badge.red { background: var(--red); }
.tile .headline { margin: 6px 0; overflow-wrap: anywhere; }
.tile ul { margin: 4px 0 0; padding-left: 18px; font-size: 0.9rem; color: var(--muted); }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 0.9rem; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
td:first-child { min-width: 9em; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.best { font-weight: 700; background: #f0fff4; }
td.best::after { content: " ★"; color: var(--green); }
.warning { border: 1px solid #fbd38d; background: #fffaf0; padding: 8px 12px; border-radius: 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 8px; }
.chart { width: 100%; height: 300px; min-width: 0; }
.chart.tall { height: 420px; }
details summary { cursor: pointer; color: #2b6cb0; }
code { background: var(--soft); padding: 0 4px; border-radius: 3px; }
footer { margin-top: 48px; font-size: 0.85rem; color: var(--muted); }
"""
