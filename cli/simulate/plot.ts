/** One line of the chart: miss ratio at each frame count. */
export interface PlotSeries {
  readonly name: string;
  readonly points: readonly { readonly frames: number; readonly missRatio: number }[];
}

export interface PlotOptions {
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * An SVG line chart of miss ratio against frames: one <path> per series (and no other <path>), axes with
 * ticks and labels, a legend. Series named 'min' are drawn dashed in black. Hand-written SVG, no dependency.
 */
export function renderPlot(series: readonly PlotSeries[], options: PlotOptions = {}): string {
  const width = options.width ?? 800;
  const height = options.height ?? 480;
  const margin = { left: 64, right: 170, top: 40, bottom: 52 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  let xMin = Infinity;
  let xMax = -Infinity;
  let yMax = 0;
  for (const s of series)
    for (const p of s.points) {
      xMin = Math.min(xMin, p.frames);
      xMax = Math.max(xMax, p.frames);
      yMax = Math.max(yMax, p.missRatio);
    }
  if (!Number.isFinite(xMin)) {
    xMin = 0;
    xMax = 1;
  }
  if (xMax === xMin) xMax = xMin + 1;
  const yTicks = niceTicks(0, yMax > 0 ? yMax : 1, 5);
  const yTop = yTicks[yTicks.length - 1]!;
  const xTicks = niceTicks(xMin, xMax, 8).filter((t) => t >= xMin && t <= xMax && Number.isInteger(t));

  const x = (v: number): number => margin.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const y = (v: number): number => margin.top + plotH - (v / yTop) * plotH;
  const f = (v: number): string => (Math.round(v * 100) / 100).toString();

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  if (options.title) {
    out.push(`<text x="${f(margin.left + plotW / 2)}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`);
  }
  // Grid and ticks.
  out.push('<g class="axes" stroke="#000" stroke-width="1">');
  for (const t of yTicks) {
    out.push(`<line x1="${margin.left}" y1="${f(y(t))}" x2="${margin.left + plotW}" y2="${f(y(t))}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${margin.left - 5}" y1="${f(y(t))}" x2="${margin.left}" y2="${f(y(t))}"/>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${f(x(t))}" y1="${margin.top + plotH}" x2="${f(x(t))}" y2="${margin.top + plotH + 5}"/>`);
  }
  out.push(`<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}"/>`);
  out.push(`<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}"/>`);
  out.push('</g>');
  out.push('<g class="tick-labels" fill="#000">');
  for (const t of yTicks) {
    out.push(`<text x="${margin.left - 8}" y="${f(y(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<text x="${f(x(t))}" y="${margin.top + plotH + 19}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  out.push(`<text x="${f(margin.left + plotW / 2)}" y="${height - 10}" text-anchor="middle">frames</text>`);
  out.push(
    `<text x="16" y="${f(margin.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${f(margin.top + plotH / 2)})">miss ratio</text>`,
  );
  out.push('</g>');

  // Lines and legend.
  const legendX = margin.left + plotW + 20;
  series.forEach((s, i) => {
    const isMin = s.name === 'min';
    const colour = isMin ? '#000' : COLOURS[i % COLOURS.length]!;
    const dash = isMin ? ' stroke-dasharray="6 4"' : '';
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${f(x(p.frames))},${f(y(p.missRatio))}`).join(' ');
    out.push(
      `<path class="series" data-policy="${escapeXml(s.name)}" d="${d || 'M0,0'}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`,
    );
    const ly = margin.top + 10 + i * 20;
    out.push(`<line x1="${legendX}" y1="${ly}" x2="${legendX + 24}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${legendX + 30}" y="${ly + 4}">${escapeXml(isMin ? 'MIN (Belady)' : s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let t = start; t < hi + step * 0.999; t += step) ticks.push(Math.round(t / step) * step);
  if (ticks[ticks.length - 1]! < hi) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks.map((t) => Number(t.toPrecision(12)));
}

function formatTick(t: number): string {
  return Number(t.toPrecision(6)).toString();
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
