# Written, not built here (no Docker engine on the development machines).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so code changes do not invalidate the package layer.
COPY Directory.Build.props Directory.Packages.props BrokerConsole.sln ./
COPY src/Broker.Core/Broker.Core.csproj src/Broker.Core/
COPY src/Broker.Stomp.Protocol/Broker.Stomp.Protocol.csproj src/Broker.Stomp.Protocol/
COPY src/Broker.Stomp/Broker.Stomp.csproj src/Broker.Stomp/
COPY src/Broker.Storage/Broker.Storage.csproj src/Broker.Storage/
COPY src/Broker.Replication/Broker.Replication.csproj src/Broker.Replication/
COPY src/BrokerConsole/BrokerConsole.csproj src/BrokerConsole/
COPY appsettings.json ./
RUN dotnet restore src/BrokerConsole/BrokerConsole.csproj
COPY src/ src/
COPY wwwroot/ wwwroot/
RUN dotnet publish src/BrokerConsole/BrokerConsole.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
COPY wwwroot/ ./wwwroot/
RUN mkdir -p /app/data /app/logs && chown -R app:app /app/data /app/logs
USER app
VOLUME /app/data
# Inside the image the host listens on all interfaces; it refuses to start with a default password there,
# so set e.g. Security__Users__admin__Password and Security__Users__replicator__Password.
# One broker per container: the default file's slave is switched off (run a second container as the slave,
# with Brokers__amq1M__Enabled=false and Brokers__amq1S__MasterConnectorUri pointing at the first).
ENV Urls=http://0.0.0.0:8161 \
    Brokers__amq1M__Connectors__0=tcp://0.0.0.0:61613 \
    Brokers__amq1S__Enabled=false
EXPOSE 8161 61613
ENTRYPOINT ["dotnet", "BrokerConsole.dll"]
