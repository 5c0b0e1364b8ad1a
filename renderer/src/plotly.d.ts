declare module 'plotly.js-gl2d-dist-min' {
  const Plotly: {
    newPlot(el: HTMLElement, data: object[], layout?: object, config?: object): Promise<unknown>;
    react(el: HTMLElement, data: object[], layout?: object, config?: object): Promise<unknown>;
    extendTraces(el: HTMLElement, update: { x: number[][]; y: number[][] }, indices: number[], maxPoints?: number): Promise<unknown>;
    addTraces(el: HTMLElement, traces: object | object[]): Promise<unknown>;
    purge(el: HTMLElement): void;
    relayout(el: HTMLElement, update: object): Promise<unknown>;
    Plots: { resize(el: HTMLElement): void };
  };
  export default Plotly;
}
