package io.connectedregistry.iotedgedev;

/** The twin requests whose response the stand-in can be told to lose (the SDK trap of issue 11, item 6). */
public enum TwinOperation {
  /** {@code $iothub/twin/GET} */
  GET,
  /** {@code $iothub/twin/PATCH/properties/reported} */
  PATCH_REPORTED
}
