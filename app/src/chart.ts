// A line chart of a class's base price over block numbers, drawn as SVG.
const WIDTH = 600;
const HEIGHT = 180;
const PAD = 36;

export function drawChart(svg: SVGSVGElement, points: Array<[number, number]>, unit: string): void {
  if (points.length === 0) {
    svg.innerHTML = `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no price yet</text>`;
    return;
  }
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 * 0.9, y1 * 1.1 || 1];
  const sx = (x: number) => PAD + ((x - x0) / Math.max(x1 - x0, 1)) * (WIDTH - 2 * PAD);
  const sy = (y: number) => HEIGHT - PAD + ((y0 - y) / (y1 - y0)) * (HEIGHT - 2 * PAD);
  const line = points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
  svg.innerHTML = `
    <line x1="${PAD}" y1="${HEIGHT - PAD}" x2="${WIDTH - PAD}" y2="${HEIGHT - PAD}" class="axis"/>
    <line x1="${PAD}" y1="${PAD / 2}" x2="${PAD}" y2="${HEIGHT - PAD}" class="axis"/>
    <polyline points="${line}" class="price"/>
    <text x="${PAD}" y="${HEIGHT - 8}">#${x0}</text>
    <text x="${WIDTH - PAD}" y="${HEIGHT - 8}" text-anchor="end">#${x1}</text>
    <text x="${PAD + 4}" y="${PAD / 2 + 10}">${y1.toFixed(3)} ${unit}</text>
    <text x="${PAD + 4}" y="${HEIGHT - PAD - 4}">${y0.toFixed(3)} ${unit}</text>`;
}
