// The Bicep CLI these tests run is the linux-x64 build.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
