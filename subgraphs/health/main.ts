import { runMain } from '../../platform/process';
import { runSubgraph } from '../kit/run';
import { health } from './index';

runMain(() => runSubgraph(health));
