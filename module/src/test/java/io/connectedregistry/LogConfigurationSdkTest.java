package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The IoT SDK's loggers (slf4j 1.7 API, bound to the one logback here) follow logLevel, at WARN at least. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LogConfigurationSdkTest {
  private static Level effective(String logger) {
    return ((Logger) LoggerFactory.getLogger(logger)).getEffectiveLevel();
  }

  @AfterEach
  void reset() {
    LogConfiguration.setLevel(LogLevel.Information);
  }

  @Test
  void the_sdk_logs_at_warn_unless_debug_is_asked_for() {
    LogConfiguration.setLevel(LogLevel.Information);
    assertEquals(Level.WARN, effective("com.microsoft.azure.sdk.iot.device.transport.IotHubTransport"));

    LogConfiguration.setLevel(LogLevel.Debug);
    assertEquals(Level.DEBUG, effective("com.microsoft.azure.sdk.iot.device.transport.IotHubTransport"));

    LogConfiguration.setLevel(LogLevel.Error);
    assertEquals(Level.ERROR, effective("com.microsoft.azure.sdk.iot.device.ModuleClient"));
  }

  @Test
  void the_workload_client_which_logs_signed_tokens_at_debug_never_goes_below_info() {
    LogConfiguration.setLevel(LogLevel.Debug);

    assertEquals(Level.INFO, effective("com.microsoft.azure.sdk.iot.device.hsm.HttpsHsmClient"));
  }

  @Test
  void the_sdk_logs_through_the_one_logback_binding() {
    assertEquals("ch.qos.logback.classic.LoggerContext", LoggerFactory.getILoggerFactory().getClass().getName());
  }
}
