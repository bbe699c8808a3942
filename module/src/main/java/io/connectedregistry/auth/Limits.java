package io.connectedregistry.auth;

import io.connectedregistry.config.RegistryConfig.AuthConfig;

/**
 * Per-registry limits of the auth store (ACR's numbers). They can be lowered, never raised: the
 * control plane and clients are built for these sizes.
 *
 * <p>A connected registry (one with a parent) holds the client tokens of that one registry: at most
 * 20 ({@code auth.limits.maxClientTokens}), ACR's limit of client tokens per connected registry.
 * The control plane, when it defines a connected registry at the parent, will apply the same
 * number there.
 *
 * @param connectedRegistry whether {@code maxTokens} is the connected-registry limit (for messages)
 */
public record Limits(int maxTokens, int maxScopeMaps, int maxRulesPerScopeMap,
    boolean connectedRegistry) {

  public static final Limits DEFAULTS = new Limits(20_000, 20_000, 500);
  public static final int MAX_CLIENT_TOKENS = 20;

  public Limits(int maxTokens, int maxScopeMaps, int maxRulesPerScopeMap) {
    this(maxTokens, maxScopeMaps, maxRulesPerScopeMap, false);
  }

  /** @param connectedRegistry true when the registry has a parent */
  public static Limits of(AuthConfig config, boolean connectedRegistry) {
    return connectedRegistry
        ? new Limits(Math.min(config.maxTokens(), config.maxClientTokens()), config.maxScopeMaps(),
            config.maxRulesPerScopeMap(), true)
        : new Limits(config.maxTokens(), config.maxScopeMaps(), config.maxRulesPerScopeMap());
  }

  public Limits {
    check("maxTokens", maxTokens, 20_000);
    check("maxScopeMaps", maxScopeMaps, 20_000);
    check("maxRulesPerScopeMap", maxRulesPerScopeMap, 500);
  }

  private static void check(String key, int value, int max) {
    if (value < 1 || value > max) {
      throw new IllegalArgumentException(key + " must be between 1 and " + max + ", not " + value);
    }
  }
}
