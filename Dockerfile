FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY bot bot
COPY lessons lessons
COPY handlers handlers
COPY webhook webhook
RUN pip install --no-cache-dir -c constraints.txt .
COPY content content
ENV HOCSO_CONTENT=/app/content HOCSO_STORE=sqlite:////data/hocso.db
VOLUME /data
ENTRYPOINT ["hocso"]
CMD ["chat"]
