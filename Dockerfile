# The worker agent's image: Apache Spark (so drivers run spark-submit from SPARK_HOME and
# executors start from its jars) with sparkplane's Spark plugin in /opt/spark/jars, plus
# Node.js and the agent, bundled. `cdk deploy` builds it for arm64 (Fargate Graviton).
# The Spark version is the one the project pins (lib/protocol/spark-rest.ts, spark/pom.xml).
ARG SPARK_IMAGE=apache/spark:4.1.1-python3
FROM maven:3.9-eclipse-temurin-17 AS plugin
WORKDIR /src
COPY spark ./spark
RUN mvn -B -q -ntp -f spark/pom.xml -DskipTests package

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
COPY --from=plugin /src/spark/plugin/target/sparkplane-spark.jar /opt/spark/jars/sparkplane-spark.jar
COPY --from=plugin /src/spark/examples/target/sparkplane-spark-examples.jar /opt/sparkplane/examples/sparkplane-spark-examples.jar
# The agent runs as root so that drivers and executors run as the unprivileged `spark`
# user: they cannot read the agent's environment (the worker key) or its memory.
ENV SPARK_HOME=/opt/spark SPARK_WORKER_DIR=/tmp/sparkplane/work SPARKPLANE_RUN_AS=spark
USER root
ENTRYPOINT ["node", "/opt/sparkplane/worker.mjs"]
