# One image for the gateway, every subgraph and the commands; docker-compose.yml picks the entry per service.
# The build stage compiles every entry into dist/ (npm run build); the runtime stage holds production
# dependencies, the bundles and the files they read (SDLs, the supergraph, the persisted operations, the
# kelurahan reference data, the dashboard's and the explorer's browser sources), and runs plain Node: no
# TypeScript transpiler in production.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev
COPY --from=build /app/dist ./dist
COPY schema/supergraph.graphql schema/persisted-operations.json ./schema/
COPY subgraphs ./subgraphs
# The dashboard page's browser code, bundled by the gateway on its first request.
COPY dashboard ./dashboard
# The explorer's browser code, bundled with the installed GraphiQL when EXPLORER=true turns it on.
COPY gateway/explorer/browser ./gateway/explorer/browser
USER node
# Overridden per service, e.g. ["dist/subgraphs/tax/main.js"].
ENTRYPOINT ["node"]
CMD ["dist/gateway/main.js"]
