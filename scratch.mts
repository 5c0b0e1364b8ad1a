import { fitLsq3 } from './analysis/nonlinearity.ts';
import { yNu } from './analysis/exp-model.ts';
const g = Array.from({ length: 1001 }, (_, k) => 1e-5 + 9e-5 * yNu(k / 1000, 2) + 1e-7 * Math.sin(k * 7));
let t = performance.now(); for (let i = 0; i < 20; i++) fitLsq3(g); console.log('lsq3 1000 pts:', ((performance.now() - t) / 20).toFixed(2), 'ms');
