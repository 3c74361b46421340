import { html } from './html.js';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/**
 * A small live time-series chart (uPlot): `series` are [{label, color, values, format}]
 * over the shared `times` (unix seconds). Redraws in place when new samples arrive.
 */
export function LiveChart({ title, times, series, height = 150 }) {
  const box = useRef(null);
  const plot = useRef(null);
  const labels = series.map((s) => s.label).join('|');

  useEffect(() => {
    const element = box.current;
    const format = series[0]?.format ?? ((v) => String(v));
    const options = {
      width: Math.max(200, element.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      // The last ten minutes at most, and at least half a minute, so the chart scrolls as samples arrive.
      scales: {
        x: {
          time: true,
          range: (_u, min, max) => {
            // No samples yet: show the last half minute rather than 1970.
            if (!Number.isFinite(max) || max < 1e9) return [Date.now() / 1000 - 30, Date.now() / 1000];
            return [Math.min(Math.max(min, max - 600), max - 30), max];
          },
        },
      },
      axes: [
        {
          stroke: '#64748b',
          grid: { stroke: '#eef2f6' },
          ticks: { stroke: '#e2e8f0' },
          font: '11px system-ui',
          space: 70,
          values: (_u, ticks) =>
            ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour12: false })),
        },
        {
          stroke: '#64748b',
          grid: { stroke: '#eef2f6' },
          ticks: { stroke: '#e2e8f0' },
          font: '11px system-ui',
          size: 64,
          space: 24,
          values: (_u, values) => values.map(format),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: `${s.color}1a`,
          points: { show: false },
          value: (_u, v) => (v === null || v === undefined ? '–' : format(v)),
        })),
      ],
    };
    plot.current = new uPlot(options, [times, ...series.map((s) => s.values)], element);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(200, element.clientWidth), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // A chart is rebuilt only when its series change; new samples go through setData below.
  }, [labels, height]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)]);
  });

  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${box} class="chart-box"></div>
  </figure>`;
}
