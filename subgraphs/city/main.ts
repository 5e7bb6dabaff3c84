import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { city } from './index';

runMain(() => runSubgraph(city));
