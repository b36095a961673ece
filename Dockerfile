# The API image: migrations run first, then the server (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geoapi ./geoapi
COPY layers ./layers
COPY checklists ./checklists
RUN pip install --no-cache-dir .
ENV GEOAPI_HOST=0.0.0.0 \
    GEOAPI_PORT=8000 \
    GEOAPI_LAYERS_DIR=/app/layers \
    GEOAPI_CHECKLISTS_DIR=/app/checklists
EXPOSE 8000
CMD ["sh", "-c", "geoapi db upgrade && exec geoapi serve"]
