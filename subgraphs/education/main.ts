import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { education } from './index';

runMain(() => runSubgraph(education));
