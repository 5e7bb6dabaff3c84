import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { tax } from './index';

runMain(() => runSubgraph(tax));
