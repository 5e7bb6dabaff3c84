# One image for the gateway and every subgraph; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev
COPY embedded-mongo ./embedded-mongo
COPY gateway ./gateway
COPY schema ./schema
COPY subgraphs ./subgraphs
COPY scripts ./scripts
USER node
# Overridden per service, e.g. ["subgraphs/tax/main.ts"].
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["gateway/main.ts"]
