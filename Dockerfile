# NeuroWeaver image: one image for the API, the Temporal worker and the migration job.
#   api:     node --import tsx api/main.ts      (default CMD)
#   worker:  node --import tsx worker/main.ts
#   migrate: node --import tsx migrations/cli.ts up
# TypeScript runs directly through tsx (a runtime dependency); only the console has a build stage.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: production node_modules only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# onnxruntime-node's install script would otherwise download CUDA/TensorRT providers;
# the CPU binaries ship inside the npm package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- console: the web console, built by Vite; the API serves web/dist at / ----
FROM ${NODE_IMAGE} AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY web ./web
RUN npx vite build web

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8002

# Model artefacts live on a volume; the directory must exist (owned by `node`) in the image
# so that a fresh named volume mounted here inherits a writable owner.
RUN mkdir -p /var/lib/neuroweaver/models \
 && chown -R node:node /var/lib/neuroweaver

# Code and dependencies stay owned by root: the app user can read but not modify them.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY api ./api
COPY activities ./activities
COPY auth ./auth
COPY config ./config
COPY db ./db
COPY ml ./ml
COPY trainers ./trainers
COPY datasets ./datasets
COPY relaycore ./relaycore
COPY migrations ./migrations
COPY scripts ./scripts
COPY storage ./storage
COPY temporal ./temporal
COPY worker ./worker
COPY workflows ./workflows
COPY --from=console /app/web/dist ./web/dist
# The watchdog's thresholds (NW_THRESHOLDS_FILE); read-only here: PUT /performance/thresholds versions live in the database.
COPY performance_thresholds.yml ./

USER node

EXPOSE 8002 9464

# No curl in the slim image: use Node's built-in fetch. (The worker overrides this in compose.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8002)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"

CMD ["node", "--import", "tsx", "api/main.ts"]

# ---- training: the runtime plus Python and the torch trainer's packages (GPU training workers) ----
#   docker build --target training -t neuroweaver-training .
FROM runtime AS training
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip \
 && rm -rf /var/lib/apt/lists/*
COPY trainers/torch/requirements.txt /tmp/torch-requirements.txt
RUN pip3 install --no-cache-dir --break-system-packages -r /tmp/torch-requirements.txt
USER node
CMD ["node", "--import", "tsx", "worker/main.ts"]
