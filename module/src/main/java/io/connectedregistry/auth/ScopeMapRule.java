package io.connectedregistry.auth;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One line of a scope map: these actions on the repositories the pattern matches, or, for a
 * pattern {@code gateway/<registry-name>} (or {@code gateway/*}), these gateway actions on that
 * connected registry. The two kinds never mix in one rule: a gateway rule holds only gateway
 * actions, a repository rule none, so a repository named {@code gateway/...} can be granted only
 * through a wider wildcard ({@code *}).
 */
public record ScopeMapRule(RepositoryPattern pattern, Set<Action> actions) {

  /** Patterns starting with this name connected registries, not repositories. */
  public static final String GATEWAY_PREFIX = "gateway/";

  public ScopeMapRule {
    Objects.requireNonNull(pattern, "pattern");
    if (actions == null || actions.isEmpty()) {
      throw new IllegalArgumentException("rule for '" + pattern + "' grants no action");
    }
    actions = Set.copyOf(EnumSet.copyOf(actions));
    boolean gateway = isGatewayPattern(pattern);
    Set<Action> wrong = actions.stream().filter(a -> a.isGateway() != gateway)
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(Action.class)));
    if (!wrong.isEmpty()) {
      String names = wrong.stream().map(Action::wireName).collect(Collectors.joining(", "));
      throw new IllegalArgumentException(gateway
          ? "rule for '" + pattern + "' grants " + names + ", but a rule on a gateway/ pattern may"
              + " grant only the gateway actions config/read, config/write, message/read,"
              + " message/write"
          : "rule for '" + pattern + "' grants " + names + ", but gateway actions are granted only"
              + " on gateway/<connected-registry-name>, not on repositories");
    }
  }

  public static ScopeMapRule of(String pattern, Action... actions) {
    return new ScopeMapRule(RepositoryPattern.of(pattern), Set.of(actions));
  }

  /** The rule granting the gateway actions on one connected registry. */
  public static ScopeMapRule gateway(String registryName, Set<Action> actions) {
    return new ScopeMapRule(RepositoryPattern.of(GATEWAY_PREFIX + registryName), actions);
  }

  public boolean isGateway() {
    return isGatewayPattern(pattern);
  }

  private static boolean isGatewayPattern(RepositoryPattern pattern) {
    return pattern.value().startsWith(GATEWAY_PREFIX);
  }
}
