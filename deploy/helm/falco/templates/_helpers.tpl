{{/* The chart's name. */}}
{{- define "falco.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name. */}}
{{- define "falco.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "falco.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end }}

{{- define "falco.selectorLabels" -}}
app.kubernetes.io/name: {{ include "falco.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "falco.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "falco.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "falco.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "falco.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "falco.image" -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The driver kind, checked: modern_ebpf (or Falco's spelling modern-bpf), kmod (or module), auto. */}}
{{- define "falco.driverKind" -}}
{{- $k := .Values.driver.kind -}}
{{- if has $k (list "modern_ebpf" "modern-bpf") -}}modern_ebpf
{{- else if has $k (list "kmod" "module") -}}kmod
{{- else if eq $k "auto" -}}auto
{{- else -}}{{ fail (printf "driver.kind must be modern_ebpf, kmod or auto, not %q" $k) }}
{{- end -}}
{{- end }}

{{/*
The container's security context: the module's devices need a privileged container (kmod, and
auto, which may pick it); the modern eBPF driver needs only BPF, PERFMON, SYS_RESOURCE (the
ring buffers' locked memory) and SYS_PTRACE (reading other processes' /proc entries).
*/}}
{{- define "falco.securityContext" -}}
{{- $sc := dict -}}
{{- if .Values.driver.enabled -}}
{{- $kind := include "falco.driverKind" . -}}
{{- if or (eq $kind "kmod") (eq $kind "auto") -}}
{{- $_ := set $sc "privileged" true -}}
{{- else if .Values.driver.modernEbpf.leastPrivileged -}}
{{- $_ := set $sc "privileged" false -}}
{{- $_ := set $sc "allowPrivilegeEscalation" false -}}
{{- $_ := set $sc "capabilities" (dict "drop" (list "ALL") "add" (list "BPF" "PERFMON" "SYS_RESOURCE" "SYS_PTRACE")) -}}
{{- else -}}
{{- $_ := set $sc "privileged" true -}}
{{- end -}}
{{- end -}}
{{- if .Values.containerSecurityContext -}}
{{- toYaml .Values.containerSecurityContext -}}
{{- else -}}
{{- toYaml $sc -}}
{{- end -}}
{{- end }}

{{/* The falcosidekick URL. */}}
{{- define "falco.falcosidekickUrl" -}}
{{- if .Values.falcosidekick.url -}}
{{- .Values.falcosidekick.url -}}
{{- else -}}
{{- printf "http://%s-falcosidekick.%s.svc:%v" .Release.Name (include "falco.namespace" .) .Values.falcosidekick.listenPort -}}
{{- end -}}
{{- end }}

{{/* falco.yaml: .Values.falco with the driver, metrics and falcosidekick settings applied. */}}
{{- define "falco.configuration" -}}
{{- $falco := deepCopy .Values.falco -}}
{{- $kind := include "falco.driverKind" . -}}
{{- $engine := dict "kind" $kind -}}
{{- $_ := set $engine "modern_ebpf" (dict "cpus_for_each_buffer" .Values.driver.modernEbpf.cpusForEachBuffer "buf_size_preset" .Values.driver.modernEbpf.bufSizePreset "drop_failed_exit" .Values.driver.modernEbpf.dropFailedExit) -}}
{{- $_ := set $engine "kmod" (dict "buf_size_preset" .Values.driver.kmod.bufSizePreset "drop_failed_exit" .Values.driver.kmod.dropFailedExit) -}}
{{- $_ := set $falco "engine" $engine -}}
{{- $c := .Values.collectors -}}
{{- $engines := dict "docker" (dict "enabled" $c.docker.enabled "sockets" (list $c.docker.socket)) "podman" (dict "enabled" $c.podman.enabled "sockets" (list $c.podman.socket)) "containerd" (dict "enabled" $c.containerd.enabled "sockets" (list $c.containerd.socket)) "cri" (dict "enabled" $c.crio.enabled "sockets" (list $c.crio.socket)) -}}
{{- $_ := set $falco "load_plugins" (list "container") -}}
{{- $_ := set $falco "plugins" (list (dict "name" "container" "library_path" "libcontainer.so" "init_config" (dict "engines" $engines))) -}}
{{- if .Values.metrics.enabled -}}
{{- $m := .Values.metrics -}}
{{- $_ := set $falco "metrics" (dict "enabled" true "interval" $m.interval "output_rule" $m.outputRule "rules_counters_enabled" $m.rulesCountersEnabled "resource_utilization_enabled" $m.resourceUtilizationEnabled "state_counters_enabled" $m.stateCountersEnabled "kernel_event_counters_enabled" $m.kernelEventCountersEnabled "convert_memory_to_mb" $m.convertMemoryToMB "include_empty_values" $m.includeEmptyValues) -}}
{{- $_ := set $falco.webserver "prometheus_metrics_enabled" true -}}
{{- $_ := set $falco.webserver "enabled" true -}}
{{- end -}}
{{- if .Values.falcosidekick.enabled -}}
{{- $_ := set $falco "json_output" true -}}
{{- $_ := set $falco "json_include_output_property" true -}}
{{- $_ := set $falco "http_output" (dict "enabled" true "url" (include "falco.falcosidekickUrl" .) "user_agent" "falcosecurity/falco" "insecure" false) -}}
{{- end -}}
{{- if .Values.auditLog.enabled -}}
{{- $a := .Values.auditLog -}}
{{- $k8saudit := dict "name" "k8saudit" "library_path" "libk8saudit.so" "init_config" (dict "maxEventSize" $a.maxEventSize "webhookMaxBatchSize" $a.webhookMaxBatchSize) "open_params" (printf "http://:%v%s" $a.listenPort $a.path) -}}
{{- $_ := set $falco "plugins" (append (default (list) $falco.plugins) $k8saudit) -}}
{{- $_ := set $falco "plugins" (append $falco.plugins (dict "name" "json" "library_path" "libjson.so")) -}}
{{- if hasKey $falco "load_plugins" -}}
{{- $_ := set $falco "load_plugins" (concat $falco.load_plugins (list "k8saudit" "json")) -}}
{{- end -}}
{{- $_ := set $falco "rules_files" (append $falco.rules_files "/etc/falco/k8s_audit_rules.yaml") -}}
{{- end -}}
{{- toYaml $falco -}}
{{- end }}
