import type { OperationRef } from './gatewayClient';
import type { PillarFields } from './operationFields';

/**
 * What the page's script needs to know from the server, put into the page as a JSON data block (never as a
 * script, so the Content-Security-Policy allows no inline code): where the graph is, the ids of the
 * persisted operations it runs, and the figures each of them asks for, read from their text.
 */
export interface DashboardSetup {
  /** The gateway's GraphQL endpoint, on the page's own origin. */
  endpoint: string;
  operations: {
    DashboardYear: OperationRef;
    CityScorecard: OperationRef;
  };
  fields: {
    /** The city's figures in DashboardYear (`city` and `previousCity`). */
    city: PillarFields;
    /** Each kelurahan's figures in DashboardYear. */
    kelurahan: PillarFields;
    /** The city's figures in CityScorecard, for the charts across years. */
    trend: PillarFields;
  };
}

export const SETUP_ELEMENT_ID = 'dashboard-setup';
export const API_KEY_STORAGE = 'kediri-dashboard-api-key';
