# vidbot in a container: `docker build -t vidbot .`, then `docker compose -f compose.simple.yml up`
# (one process) or `docker compose up` (web, two workers, Redis, PostgreSQL). The same Node major,
# `npm ci` and Debian ffmpeg as CI (.ci/run).

# Build: dev dependencies, TypeScript compiled to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Run: production dependencies, Debian's ffmpeg and a font for the local preview, a non-root user.
FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production VIDBOT_DATA_DIR=/data
COPY package.json package-lock.json ./
# No scripts: `prepare` builds, which the build stage did; optional packages (the old static ffmpeg) are not needed.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# /data/media too: a named volume mounted there (compose's shared media) starts owned by node.
RUN mkdir -p /data/media && chown -R node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "bin/vidbot.js"]
CMD ["serve", "--host", "0.0.0.0"]
