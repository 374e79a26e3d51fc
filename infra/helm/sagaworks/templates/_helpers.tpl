{{/* The deployables, in start order (the @sagaworks/deployables list). */}}
{{- define "sagaworks.deployables" -}}
orchestrator order account customer
{{- end -}}

{{/* Labels of one deployable. */}}
{{- define "sagaworks.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: sagaworks
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}
