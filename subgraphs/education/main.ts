import { runMain, runSubgraph } from '../kit/run';
import { education } from './index';

runMain(() => runSubgraph(education));
