import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { environment } from './index';

runMain(() => runSubgraph(environment));
