import { runMain, runSubgraph } from '../kit/run';
import { tax } from './index';

runMain(() => runSubgraph(tax));
