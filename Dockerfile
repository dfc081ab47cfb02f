# syntax=docker/dockerfile:1
#
# The `classify` command in a container (docs/deploy.md, "Beyond one machine").
#
#   docker build -t classify .                      # full image: linear, onnx and transformer engines
#   docker build --target lean -t classify:lean .   # no libtorch: linear and onnx packages only
#   docker run --rm -v "$PWD/models:/models:ro" -v "$PWD/data:/data" classify \
#       predict --model /models/m --input /data/in.csv --output /data/out.csv
#
# Size: libtorch (TorchSharp-cpu's native libraries, libtorch_cpu.so alone is ~460 MB) is most of the full image;
# ONNX Runtime is ~30 MB and the managed code ~60 MB. The CLI references the transformer engine directly, so the
# lean target removes libtorch's files from the published folder instead: a transformer (TorchSharp) package then
# fails to load with an error naming the missing library, while linear and ONNX packages work.
# TorchSharp-cpu ships libtorch for linux-x64 only: build and run on amd64 (--platform linux/amd64 on other hosts).

ARG DOTNET_VERSION=10.0

FROM --platform=linux/amd64 mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# Only what the CLI's projects need (.dockerignore keeps bin/, obj/, runs/ and the tests out of the context).
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
RUN dotnet publish src/Classify.Cli/Classify.Cli.csproj -c Release -r linux-x64 --self-contained false \
        -p:UseAppHost=false -o /app \
    && rm -f /app/*.pdb

# The published folder without libtorch (and TorchSharp's native glue), for the lean target.
FROM build AS prune-torch
RUN cd /app && rm -f libtorch*.so libc10.so libLibTorchSharp.so libgomp-*.so.1 libshm.so libaoti_custom_ops.so \
        libbackend_with_compiler.so libjitbackend_test.so libnnapi_backend.so

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
COPY --from=prune-torch /app /app

# The default target (last stage): every engine.
FROM base AS full
COPY --from=build /app /app
