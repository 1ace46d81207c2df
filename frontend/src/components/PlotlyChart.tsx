import { useEffect, useRef, useState } from "react";

// Plotly's JavaScript comes from the plotly Python package, served at /vendor/plotly.min.js,
// so the dashboard draws with the same library as the HTML report and works offline.
interface PlotlyApi {
  react: (el: HTMLElement, data: unknown[], layout: unknown, config: unknown) => Promise<unknown>;
  purge: (el: HTMLElement) => void;
}

declare global {
  interface Window {
    Plotly?: PlotlyApi;
  }
}

let loading: Promise<PlotlyApi> | null = null;

export function loadPlotly(): Promise<PlotlyApi> {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/vendor/plotly.min.js";
    script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no Plotly")));
    script.onerror = () => reject(new Error("the chart library could not be loaded"));
    document.head.appendChild(script);
  });
  return loading;
}

export function PlotlyChart({
  data,
  layout,
  label,
  tall = false,
}: {
  data: unknown[];
  layout: Record<string, unknown>;
  label: string;
  tall?: boolean;
}) {
  const element = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    const target = element.current;
    loadPlotly()
      .then((plotly) => {
        if (!cancelled && target) {
          void plotly.react(
            target,
            data,
            { margin: { t: 40, r: 10, b: 40, l: 50 }, height: tall ? 420 : 320, ...layout },
            { responsive: true, displaylogo: false },
          );
        }
      })
      .catch((exc: Error) => setError(exc.message));
    return () => {
      cancelled = true;
      if (target && window.Plotly) window.Plotly.purge(target);
    };
  }, [data, layout, tall]);
  return (
    <figure className="chart">
      <div ref={element} role="img" aria-label={label} />
      {error && <figcaption className="error">{error}</figcaption>}
    </figure>
  );
}
