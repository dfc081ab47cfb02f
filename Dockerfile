# syntax=docker/dockerfile:1
#
# The `classify` command in a container (docs/deploy.md, "Beyond one machine"; docs/install.md for the tools).
#
#   docker build -t classify .                      # full image: the lean CLI plus the TorchSharp engine
#   docker build --target lean -t classify:lean .   # the lean CLI alone: linear and onnx packages, serve, reports
#   docker run --rm -v "$PWD/models:/models:ro" -v "$PWD/data:/data" classify \
#       predict --model /models/m --input /data/in.csv --output /data/out.csv
#
# Size: the lean CLI (src/Classify.Cli) has no TorchSharp; its published folder is ~60 MB, ONNX Runtime included.
# The transformer engine (src/Classify.TorchSharp: TorchSharp-cpu with libtorch, libtorch_cpu.so alone ~460 MB) is
# published on its own and, in the full image, copied to engines/torchsharp/ beside classify.dll, where the CLI finds
# and loads it. In the lean image a transformer (TorchSharp) model, `engine: transformer` or `pretrain` stops with a
# one-line error naming the engine (exit 2); export transformers to ONNX for it (`classify export --format onnx`).
# TorchSharp-cpu's libtorch for Linux is linux-x64 only: build and run on amd64 (--platform linux/amd64 on other hosts).

ARG DOTNET_VERSION=10.0

FROM --platform=linux/amd64 mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# Only what the CLI's projects need (.dockerignore keeps bin/, obj/, runs/ and the tests out of the context).
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
# The lean CLI (publishing never includes the engine), then the engine on its own.
RUN dotnet publish src/Classify.Cli/Classify.Cli.csproj -c Release -r linux-x64 --self-contained false \
        -p:UseAppHost=false -o /app \
    && rm -f /app/*.pdb

FROM build AS engine
RUN dotnet publish src/Classify.TorchSharp/Classify.TorchSharp.csproj -c Release -r linux-x64 --self-contained false \
        -p:UseAppHost=false -o /engine \
    && rm -f /engine/*.pdb

# ASP.NET Core runtime rather than the plain .NET runtime: `classify serve` hosts HTTP endpoints.
FROM --platform=linux/amd64 mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS base
ENV CLASSIFY_NATIVE_CACHE=/tmp/classify-native \
    HF_HOME=/tmp/hf \
    DOTNET_gcServer=0
WORKDIR /data
EXPOSE 8080
# The image's unprivileged user (UID 1654); models and data come in as volumes.
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/classify.dll"]
CMD ["--help"]

FROM base AS lean
COPY --from=build /app /app

# The default target (last stage): the lean CLI with the TorchSharp engine where it looks first after
# CLASSIFY_TORCHSHARP_ENGINE (engines/torchsharp/ beside classify.dll).
FROM base AS full
COPY --from=build /app /app
COPY --from=engine /engine /app/engines/torchsharp
