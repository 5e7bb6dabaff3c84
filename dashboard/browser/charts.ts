import { BarController, BarElement, CategoryScale, Chart, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { cellWord, type Cell } from '../model/answers';
import { figureInfo } from '../model/figures';
import { formatFigure } from '../model/format';
import type { PillarFields } from '../model/operationFields';
import { PILLARS, type Pillar } from '../model/pillars';
import { groupByKecamatan } from '../model/scorecards';
import type { Trend, YearView } from './data';
import { el } from './dom';

/**
 * One card per pillar with two Chart.js charts of the figure chosen on the card: across the kelurahan in
 * the chosen year (bars coloured by kecamatan; a withheld figure is a gap, counted under the chart, never a
 * zero bar) and across the years the graph has (the city's figure, the chosen year marked). Each canvas
 * carries the numbers it draws in `data-series`, so a test can hold the chart to the graph's answer.
 */
Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip);

const KECAMATAN_COLOURS = ['#0f5e57', '#c2571a', '#3d5a99', '#7a4f8f'];

interface PillarChart {
  pillar: Pillar;
  select: HTMLSelectElement;
  kelurahanCanvas: HTMLCanvasElement;
  yearsCanvas: HTMLCanvasElement;
  caption: HTMLElement;
  kelurahanChart?: Chart;
  yearsChart?: Chart;
}

function valueOrNull(cell: Cell | undefined): number | null {
  return cell?.state === 'value' ? cell.value : null;
}

export class PillarCharts {
  private readonly charts: PillarChart[];
  private view: YearView | undefined;
  private trend: Trend | undefined;

  constructor(container: HTMLElement, fields: PillarFields) {
    this.charts = PILLARS.map((pillar) => {
      const select = el(
        'select',
        { 'aria-label': `${pillar.title}: figure to chart`, 'data-chart-figure': pillar.name },
        fields[pillar.name].map((field) => el('option', { value: field }, [figureInfo(pillar.name, field).label])),
      );
      const kelurahanCanvas = el('canvas', { role: 'img', 'data-chart': `${pillar.name}.kelurahan` });
      const yearsCanvas = el('canvas', { role: 'img', 'data-chart': `${pillar.name}.years` });
      const caption = el('p', { class: 'chart-caption' });
      container.append(
        el('article', { class: 'chart-card', 'data-pillar': pillar.name }, [
          el('header', {}, [el('h3', {}, [pillar.title]), select]),
          el('div', { class: 'chart-box' }, [kelurahanCanvas]),
          caption,
          el('div', { class: 'chart-box years' }, [yearsCanvas]),
        ]),
      );
      const chart: PillarChart = { pillar, select, kelurahanCanvas, yearsCanvas, caption };
      select.addEventListener('change', () => this.draw(chart));
      return chart;
    });
  }

  show(view: YearView, trend: Trend): void {
    this.view = view;
    this.trend = trend;
    for (const chart of this.charts) this.draw(chart);
  }

  private draw(chart: PillarChart): void {
    if (!this.view || !this.trend) return;
    const name = chart.pillar.name;
    const field = chart.select.value;
    const info = figureInfo(name, field);
    const groups = groupByKecamatan(this.view.kelurahan);
    const rows = groups.flatMap((group, index) => group.kelurahan.map((row) => ({ row, colour: KECAMATAN_COLOURS[index % KECAMATAN_COLOURS.length] })));
    const cells = rows.map(({ row }) => row.figures[name][field]);
    const values = cells.map(valueOrNull);
    const labels = rows.map(({ row }) => row.name);
    const missing = new Map<string, number>();
    for (const cell of cells) if (cell?.state !== 'value') missing.set(cellWord(cell ?? { state: 'none' }), (missing.get(cellWord(cell ?? { state: 'none' })) ?? 0) + 1);
    chart.caption.textContent =
      `${info.label} by kelurahan, ${this.view.year}, coloured by kecamatan (${groups.map((group) => group.name).join(', ')}).` +
      (missing.size > 0 ? ` No bar: ${[...missing].map(([word, count]) => `${count} ${word}`).join(', ')}.` : '');
    chart.kelurahanCanvas.setAttribute('data-series', JSON.stringify({ labels: rows.map(({ row }) => row.code), values }));
    chart.kelurahanCanvas.setAttribute('aria-label', `${chart.pillar.title}: ${info.label} by kelurahan in ${this.view.year}`);
    chart.kelurahanChart?.destroy();
    chart.kelurahanChart = new Chart(chart.kelurahanCanvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: info.label, data: values, backgroundColor: rows.map(({ colour }) => colour) }] },
      options: this.options(info.unit),
    });

    const years = this.trend.years;
    const trendValues = years.map((year) => valueOrNull(this.trend!.city.get(year)?.[name][field]));
    chart.yearsCanvas.setAttribute('data-series', JSON.stringify({ labels: years, values: trendValues }));
    chart.yearsCanvas.setAttribute('aria-label', `${chart.pillar.title}: the city's ${info.label} by year, ${years[0]} to ${years[years.length - 1]}`);
    chart.yearsChart?.destroy();
    chart.yearsChart = new Chart(chart.yearsCanvas, {
      type: 'line',
      data: {
        labels: years.map(String),
        datasets: [
          {
            label: `${info.label}, city`,
            data: trendValues,
            borderColor: '#0f5e57',
            backgroundColor: '#0f5e57',
            pointRadius: years.map((year) => (year === this.view!.year ? 6 : 3)),
            pointBackgroundColor: years.map((year) => (year === this.view!.year ? '#c2571a' : '#0f5e57')),
          },
        ],
      },
      options: this.options(info.unit),
    });
  }

  private options(unit: Parameters<typeof formatFigure>[1]) {
    return {
      animation: false as const,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item: { raw: unknown }) => (typeof item.raw === 'number' ? formatFigure(item.raw, unit, 'exact') : 'no figure') } } },
      scales: {
        x: { ticks: { autoSkip: true, maxRotation: 60 } },
        y: { beginAtZero: true, ticks: { callback: (value: string | number) => formatFigure(Number(value), unit, 'compact') } },
      },
    };
  }
}
