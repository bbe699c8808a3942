package io.connectedregistry.config;

import io.connectedregistry.config.RegistryConfig.ParentConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * ACR's connected-registry connection string, {@code ConnectedRegistryName=..;SyncTokenName=..;
 * SyncTokenPassword=..;ParentGatewayEndpoint=host[:port];ParentEndpointProtocol=https|http}: the
 * registry's name, its sync token and its parent. Keys are matched case-insensitively, as ACR's
 * tools do; errors name the key but never echo the password.
 */
record ConnectionString(String registryName, String tokenName, String tokenPassword,
    String parentEndpoint, String parentProtocol) {

  /** @throws ConfigException naming the key, for anything but a complete connection string */
  static ConnectionString parse(String origin, String raw) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String part : raw.split(";")) {
      if (part.isBlank()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException(origin + ": expected KEY=VALUE parts separated by ';'");
      }
      values.put(part.substring(0, eq).strip().toLowerCase(Locale.ROOT), part.substring(eq + 1).strip());
    }
    String name = required(origin, values, "ConnectedRegistryName");
    String token = required(origin, values, "SyncTokenName");
    String password = required(origin, values, "SyncTokenPassword");
    String endpoint = required(origin, values, "ParentGatewayEndpoint");
    String protocol = values.getOrDefault("parentendpointprotocol", "https");
    if (!protocol.equals("http") && !protocol.equals("https")) {
      throw new ConfigException(origin + ": ParentEndpointProtocol must be http or https, not '"
          + protocol + "'");
    }
    return new ConnectionString(name, token, password, endpoint, protocol);
  }

  /** The parent it names, keeping a CA bundle the file configured for it. */
  ParentConfig toParent(ParentConfig fromFile) {
    ParentConfig parsed = ConfigValues.parent(ConfigLoader.CONNECTION_STRING + " ParentGatewayEndpoint",
        parentEndpoint, ConfigLoader.CONNECTION_STRING + " ParentEndpointProtocol",
        parentEndpoint.contains("://") ? null : parentProtocol);
    return new ParentConfig(parsed.endpoint(), parsed.protocol(), tokenName, tokenPassword,
        fromFile == null ? null : fromFile.caBundle(), registryName,
        fromFile == null ? null : fromFile.tokenRealms());
  }

  private static String required(String origin, Map<String, String> values, String key) {
    String value = values.get(key.toLowerCase(Locale.ROOT));
    if (value == null || value.isEmpty()) {
      throw new ConfigException(origin + ": " + key + " is missing");
    }
    return value;
  }

  @Override
  public String toString() {
    return "ConnectionString[registryName=" + registryName + ", tokenName=" + tokenName
        + ", parent=" + parentProtocol + "://" + parentEndpoint + "]";
  }
}
