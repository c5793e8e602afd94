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
/** Dash patterns, so that lines drawn over one another still show through each other's gaps. */
const DASHES = ['', '9 4', '3 3', '12 3 3 3', '6 6', '14 4 3 4 3 4', '2 6', '8 3 2 3 2 3'];
const MIN_DASH = '6 4';
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'plus', 'cross', 'star'] as const;
type Marker = (typeof MARKERS)[number];
/** Most markers drawn on one line. */
const MARKS_PER_LINE = 12;

/** A hollow marker of `shape` centred at (x, y), never a <path>: one <path> per series is the chart's contract. */
function marker(shape: Marker, x: number, y: number, colour: string, f: (v: number) => string, r = 4): string {
  const attrs = `fill="none" stroke="${colour}" stroke-width="1.5"`;
  const poly = (pts: Array<[number, number]>): string => `<polygon points="${pts.map(([a, b]) => `${f(x + a)},${f(y + b)}`).join(' ')}" ${attrs}/>`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${f(x)}" cy="${f(y)}" r="${r}" ${attrs}/>`;
    case 'square':
      return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${2 * r}" height="${2 * r}" ${attrs}/>`;
    case 'triangle':
      return poly([
        [0, -r - 1],
        [r + 1, r],
        [-r - 1, r],
      ]);
    case 'triangle-down':
      return poly([
        [0, r + 1],
        [r + 1, -r],
        [-r - 1, -r],
      ]);
    case 'diamond':
      return poly([
        [0, -r - 1],
        [r + 1, 0],
        [0, r + 1],
        [-r - 1, 0],
      ]);
    case 'plus': {
      const w = 1.5;
      return poly([
        [-w, -r - 1],
        [w, -r - 1],
        [w, -w],
        [r + 1, -w],
        [r + 1, w],
        [w, w],
        [w, r + 1],
        [-w, r + 1],
        [-w, w],
        [-r - 1, w],
        [-r - 1, -w],
        [-w, -w],
      ]);
    }
    case 'cross': {
      const a = r + 0.5;
      const w = 1.2;
      return poly([
        [-a, -a + w],
        [-a + w, -a],
        [0, -w],
        [a - w, -a],
        [a, -a + w],
        [w, 0],
        [a, a - w],
        [a - w, a],
        [0, w],
        [-a + w, a],
        [-a, a - w],
        [-w, 0],
      ]);
    }
    case 'star': {
      const pts: Array<[number, number]> = [];
      for (let k = 0; k < 10; k++) {
        const rad = k % 2 === 0 ? r + 1.5 : (r + 1.5) / 2.3;
        const angle = -Math.PI / 2 + (k * Math.PI) / 5;
        pts.push([rad * Math.cos(angle), rad * Math.sin(angle)]);
      }
      return poly(pts);
    }
  }
}

/**
 * Which points of a line of `n` carry its marker: every one up to MARKS_PER_LINE (markers on one point nest, by
 * size); beyond, that many evenly spaced and shifted by the series' index, so that lines lying on one another
 * show their markers side by side rather than on top.
 */
function markedPoints(n: number, index: number, count: number): number[] {
  if (n <= MARKS_PER_LINE) return Array.from({ length: n }, (_, i) => i);
  const step = n / MARKS_PER_LINE;
  const shift = count > 1 ? (step * index) / count : step / 2;
  const out = new Set<number>();
  for (let k = 0; k < MARKS_PER_LINE; k++) out.add(Math.min(n - 1, Math.floor(shift + k * step)));
  return [...out];
}

export function renderPlot(series: readonly PlotSeries[], options: PlotOptions = {}): string {
  const width = options.width ?? 800;
  const height = options.height ?? 480;
  // Legend labels first: the right margin is as wide as the longest (about 7 px a character at 12 px).
  const same = (a: PlotSeries, b: PlotSeries): boolean =>
    a.points.length === b.points.length && a.points.every((p, j) => p.frames === b.points[j]!.frames && p.missRatio === b.points[j]!.missRatio);
  const labels = series.map((s, i) => {
    const twin = series.slice(0, i).find((o) => o.points.length > 0 && same(o, s));
    return (s.name === 'min' ? 'MIN (Belady)' : s.name) + (twin ? ` (= ${twin.name === 'min' ? 'MIN' : twin.name})` : '');
  });
  const margin = { left: 64, right: Math.max(170, 60 + 7 * Math.max(0, ...labels.map((l) => l.length))), top: 40, bottom: 52 };
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
  out.push(`<text x="16" y="${f(margin.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${f(margin.top + plotH / 2)})">miss ratio</text>`);
  out.push('</g>');

  // Lines, markers and legend. Each series has its colour, dash pattern and marker shape, so lines that lie on
  // one another (policies that fault alike) can still be told apart; the legend says which lines coincide.
  const legendX = margin.left + plotW + 20;
  let ordinary = 0;
  series.forEach((s, i) => {
    const isMin = s.name === 'min';
    const k = isMin ? -1 : ordinary++;
    const colour = isMin ? '#000' : COLOURS[k % COLOURS.length]!;
    const pattern = isMin ? MIN_DASH : DASHES[k % DASHES.length]!;
    const dash = pattern ? ` stroke-dasharray="${pattern}"` : '';
    const shape: Marker = isMin ? 'circle' : MARKERS[(k + 1) % MARKERS.length]!;
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${f(x(p.frames))},${f(y(p.missRatio))}`).join(' ');
    out.push(
      `<path class="series" data-policy="${escapeXml(s.name)}" d="${d || 'M0,0'}" fill="none" stroke="${colour}" stroke-width="2" stroke-opacity="0.9"${dash}/>`,
    );
    // Earlier series get larger markers, so markers on one point nest instead of hiding one another.
    const size = series.length > 1 ? 3 + (2.5 * (series.length - 1 - i)) / (series.length - 1) : 4;
    out.push(`<g class="markers" data-policy="${escapeXml(s.name)}" data-marker="${shape}">`);
    for (const j of markedPoints(s.points.length, i, series.length)) {
      const p = s.points[j]!;
      out.push(marker(shape, x(p.frames), y(p.missRatio), colour, f, size));
    }
    out.push('</g>');
    const ly = margin.top + 10 + i * 20;
    out.push(`<line x1="${legendX}" y1="${ly}" x2="${legendX + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`);
    out.push(marker(shape, legendX + 15, ly, colour, f));
    out.push(`<text x="${legendX + 36}" y="${ly + 4}">${escapeXml(labels[i]!)}</text>`);
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
