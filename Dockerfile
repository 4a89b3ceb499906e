# The worker agent's image: Apache Spark (so drivers run spark-submit from SPARK_HOME) plus
# Node.js and the agent, bundled. `cdk deploy` builds it for arm64 (Fargate Graviton).
ARG SPARK_IMAGE=apache/spark:4.1.1-python3
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY lib ./lib
RUN npx esbuild lib/worker/main.ts --bundle --platform=node --format=esm --target=node22 \
      --outfile=/out/worker.mjs \
      --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"

FROM ${SPARK_IMAGE}
USER root
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /out/worker.mjs /opt/sparkplane/worker.mjs
COPY examples /opt/sparkplane/examples
ENV SPARK_HOME=/opt/spark SPARK_WORKER_DIR=/tmp/sparkplane/work
USER spark
ENTRYPOINT ["node", "/opt/sparkplane/worker.mjs"]
