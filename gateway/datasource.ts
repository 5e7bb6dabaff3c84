import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { IDENTITY_HEADER, signIdentity, type Identity } from '../subgraphs/kit/identity';

export interface GatewayContext {
  identity: Identity;
}

/**
 * Every request the gateway sends to a subgraph carries the caller's identity, signed, so the subgraph
 * can apply its agency's access rules and refuse anything that did not come through the gateway.
 */
export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly identitySecret: string,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: Parameters<RemoteGraphQLDataSource<GatewayContext>['willSendRequest'] & {}>[0]) {
    // Health checks and other internal fetches have no caller; they act as the public role.
    const identity: Identity = context?.identity ?? { subject: 'gateway', role: 'public' };
    request.http?.headers.set(IDENTITY_HEADER, signIdentity(identity, this.identitySecret));
  }
}
