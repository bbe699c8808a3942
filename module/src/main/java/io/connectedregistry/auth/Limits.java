package io.connectedregistry.auth;

import io.connectedregistry.config.RegistryConfig.AuthConfig;

/**
 * Per-registry limits of the auth store (ACR's numbers). They can be lowered, never raised: the
 * control plane and clients are built for these sizes.
 *
 * <p>Not here: "at most 20 client tokens attached to one connected registry". That is a property
 * of the connected-registry resource in the parent/control plane and is enforced there (later
 * issue), not in the local token table.
 */
public record Limits(int maxTokens, int maxScopeMaps, int maxRulesPerScopeMap) {

  public static final Limits DEFAULTS = new Limits(20_000, 20_000, 500);

  public static Limits of(AuthConfig config) {
    return new Limits(config.maxTokens(), config.maxScopeMaps(), config.maxRulesPerScopeMap());
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
