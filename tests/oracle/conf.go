package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// menderConf holds the mender.conf options artsig-update reads, under the
// names and Go types of the Mender client's configuration struct
// (conf.MenderConfigFromFile in 3.x; ArtifactVerifyKeys from 3.5 on), and
// artsig-update's own options, UpdateModulesDir, BootEnvFile and
// ArtsigAcceptUnsignedFiles, typed as artsig-update documents them.
type menderConf struct {
	ArtifactVerifyKey         string
	ArtifactVerifyKeys        []string
	DeviceTypeFile            string
	UpdateModulesDir          string
	RootfsPartA               string
	RootfsPartB               string
	ServerCertificate         string
	BootEnvFile               string
	ModuleTimeoutSeconds      int
	StateScriptTimeoutSeconds int
	ArtsigAcceptUnsignedFiles bool
	// The server side: client.MenderServer, client.Security and
	// client.HttpsClient in 3.4, and artsig-update's own.
	ServerURL                    string
	Servers                      []struct{ ServerURL string }
	TenantToken                  string
	SkipVerify                   bool
	UpdatePollIntervalSeconds    int
	InventoryPollIntervalSeconds int
	RetryPollIntervalSeconds     int
	RetryPollCount               int
	Security                     struct{ AuthPrivateKey string }
	HttpsClient                  struct{ Certificate, Key string }
	ArtsigAuthKeyType            string
	ArtsigIdentityScript         string
	ArtsigInventoryDir           string
	ArtsigRebootCommand          string
	ArtsigBootIdFile             string
	ArtsigArtifactInfoFile       string
}

// effectiveConf is the settings in force, as `artsig-update show-config`
// prints them with the default data directory.
type effectiveConf struct {
	ArtifactVerifyKeys           []string
	DeviceTypeFile               string
	UpdateModulesDir             string
	RootfsPartA                  *string
	RootfsPartB                  *string
	ServerCertificate            *string
	BootEnvFile                  *string
	ModuleTimeoutSeconds         int
	StateScriptTimeoutSeconds    int
	ArtsigAcceptUnsignedFiles    bool
	UpdatePollIntervalSeconds    int
	InventoryPollIntervalSeconds int
	RetryPollIntervalSeconds     int
	Security                     struct{ AuthPrivateKey *string }
	HttpsClient                  struct{ Certificate, Key *string }
	Servers                      []string
	TenantToken                  string
	SkipVerify                   bool
	RetryPollCount               int
	ArtsigAuthKeyType            string
	ArtsigIdentityScript         string
	ArtsigInventoryDir           string
	ArtsigRebootCommand          string
	ArtsigBootIdFile             string
	ArtsigArtifactInfoFile       string
}

// servers as Mender 3.4's Validate() leaves them: ServerURL or Servers
// (both is an error), each without one trailing '/'.
func servers(c *menderConf) ([]string, error) {
	if c.ServerURL != "" && c.Servers != nil {
		return nil, errors.New("both Servers and ServerURL are set")
	}
	urls := []string{}
	if c.ServerURL != "" {
		urls = append(urls, strings.TrimSuffix(c.ServerURL, "/"))
	}
	for _, s := range c.Servers {
		urls = append(urls, strings.TrimSuffix(s.ServerURL, "/"))
	}
	return urls, nil
}

// Mender 3.4's poll intervals (app/mender.go): 30 minutes, retry 5.
const (
	defaultUpdatePoll    = 30 * 60
	defaultInventoryPoll = 30 * 60
	defaultRetryPoll     = 5 * 60
)

// Mender's defaults: its data directory's device_type, its modules
// directory, four hours for a module state and one for a state script.
const (
	defaultDeviceTypeFile = "/var/lib/mender/device_type"
	defaultModulesDir     = "/usr/share/mender/modules/v3"
	defaultModuleTimeout  = 4 * 60 * 60
	defaultScriptTimeout  = 60 * 60
)

func orDefault(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func orDefaultInt(n, fallback int) int {
	if n == 0 {
		return fallback
	}
	return n
}

// unsetIfEmpty: Mender takes an empty path option as not given.
func unsetIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// readConf reads the file as the Mender client does: json.Unmarshal of the
// whole file into its configuration struct.
func readConf(path string) (*effectiveConf, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c menderConf
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if c.ArtifactVerifyKey != "" && len(c.ArtifactVerifyKeys) > 0 {
		return nil, errors.New("both ArtifactVerifyKey and ArtifactVerifyKeys are set")
	}
	urls, err := servers(&c)
	if err != nil {
		return nil, err
	}
	token := ""
	if c.TenantToken != "" {
		token = "(set, not shown)"
	}
	keys := c.ArtifactVerifyKeys
	if c.ArtifactVerifyKey != "" {
		keys = []string{c.ArtifactVerifyKey}
	}
	if keys == nil {
		keys = []string{}
	}
	return &effectiveConf{
		ArtifactVerifyKeys:        keys,
		DeviceTypeFile:            orDefault(c.DeviceTypeFile, defaultDeviceTypeFile),
		UpdateModulesDir:          orDefault(c.UpdateModulesDir, defaultModulesDir),
		RootfsPartA:               unsetIfEmpty(c.RootfsPartA),
		RootfsPartB:               unsetIfEmpty(c.RootfsPartB),
		ServerCertificate:         unsetIfEmpty(c.ServerCertificate),
		BootEnvFile:               unsetIfEmpty(c.BootEnvFile),
		ModuleTimeoutSeconds:      orDefaultInt(c.ModuleTimeoutSeconds, defaultModuleTimeout),
		StateScriptTimeoutSeconds: orDefaultInt(c.StateScriptTimeoutSeconds, defaultScriptTimeout),
		ArtsigAcceptUnsignedFiles: c.ArtsigAcceptUnsignedFiles,
		UpdatePollIntervalSeconds: orDefaultInt(c.UpdatePollIntervalSeconds, defaultUpdatePoll),
		InventoryPollIntervalSeconds: orDefaultInt(c.InventoryPollIntervalSeconds,
			defaultInventoryPoll),
		RetryPollIntervalSeconds: orDefaultInt(c.RetryPollIntervalSeconds, defaultRetryPoll),
		Security:                 struct{ AuthPrivateKey *string }{unsetIfEmpty(c.Security.AuthPrivateKey)},
		HttpsClient: struct{ Certificate, Key *string }{unsetIfEmpty(c.HttpsClient.Certificate),
			unsetIfEmpty(c.HttpsClient.Key)},
		Servers:                urls,
		TenantToken:            token,
		SkipVerify:             c.SkipVerify,
		RetryPollCount:         c.RetryPollCount,
		ArtsigAuthKeyType:      orDefault(c.ArtsigAuthKeyType, "rsa"),
		ArtsigIdentityScript:   orDefault(c.ArtsigIdentityScript, "/usr/share/mender/identity/mender-device-identity"),
		ArtsigInventoryDir:     orDefault(c.ArtsigInventoryDir, "/usr/share/mender/inventory"),
		ArtsigRebootCommand:    orDefault(c.ArtsigRebootCommand, "reboot"),
		ArtsigBootIdFile:       orDefault(c.ArtsigBootIdFile, "/proc/sys/kernel/random/boot_id"),
		ArtsigArtifactInfoFile: orDefault(c.ArtsigArtifactInfoFile, "/etc/mender/artifact_info"),
	}, nil
}

// runConf prints the settings Go's reading of mender.conf puts in force as
// one JSON object on stdout (exit 0), or why Go refuses the file (exit 1).
func runConf(path string) int {
	c, err := readConf(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "conf: %s: %v\n", path, err)
		return 1
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		fmt.Fprintf(os.Stderr, "conf: %v\n", err)
		return 1
	}
	return 0
}
