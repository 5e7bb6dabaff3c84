import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { IDENTITY_HEADER, signIdentity, type Identity } from '../platform/identity';

type FetchRequest = Parameters<RemoteGraphQLDataSource['didEncounterError']>[1];
type FetchResponse = Parameters<RemoteGraphQLDataSource['didEncounterError']>[2];

export interface GatewayContext {
  identity: Identity;
}

/**
 * Every request the gateway sends to a subgraph carries the caller's identity, signed, so the subgraph
 * can apply its agency's access rules and refuse anything that did not come through the gateway.
 */
export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    url: string,
    private readonly identitySecret: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    super({ url });
  }

  /**
   * A subgraph that cannot be reached costs only its own fields: they come back null with an error that
   * names the subgraph, so a dashboard can say which agency is missing. The network detail (internal
   * addresses) goes to the gateway's log, not to the caller.
   */
  override didEncounterError(error: Error, _request: FetchRequest, response?: FetchResponse): void {
    if (error instanceof GraphQLError && response) {
      throw new GraphQLError(error.message, { extensions: { ...error.extensions, serviceName: this.serviceName } });
    }
    this.log(`subgraph ${this.serviceName} did not answer: ${error.message}`);
    throw new GraphQLError(`The ${this.serviceName} subgraph is unavailable, so its fields are null in this answer.`, {
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: this.serviceName },
    });
  }

  override willSendRequest({ request, context }: Parameters<RemoteGraphQLDataSource<GatewayContext>['willSendRequest'] & {}>[0]) {
    // Health checks and other internal fetches have no caller; they act as the public role.
    const identity: Identity = context?.identity ?? { subject: 'gateway', role: 'public' };
    request.http?.headers.set(IDENTITY_HEADER, signIdentity(identity, this.identitySecret));
  }
}
