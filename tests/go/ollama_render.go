// ollama_render renders an Ollama TEMPLATE with Go's own text/template, the way Ollama's server
// does for a chat request, so tests can compare it with the model's Jinja chat template.
//
// Input on stdin: a JSON object {"template", "messages": [{"role", "content"}], "system"} or a
// JSON array of such objects. Output on stdout: {"prompt"} or {"error"} for each, in the same shape.
//
// What it mirrors from Ollama (server/routes.go ChatHandler, template/template.go):
//   - the Modelfile SYSTEM is prepended as a system message when the request's first message is
//     not a system message and SYSTEM is not empty;
//   - consecutive messages of one role are joined with "\n\n" (collate); .System is every system
//     message's content joined with "\n\n";
//   - the template is parsed with Option("missingkey=zero") and the "json" function, and a
//     template that uses .Messages is executed with System, Messages, Tools, Response, Think,
//     IsThinkSet; the legacy .Prompt/.Response form is executed per turn as Ollama does.
//
// Only the standard library (Go 1.19, Debian's golang-go) is used.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
	"text/template/parse"
)

// Message has the fields of Ollama's api.Message that a template may read.
type Message struct {
	Role      string        `json:"role"`
	Content   string        `json:"content"`
	Thinking  string        `json:"thinking,omitempty"`
	Images    []string      `json:"images,omitempty"`
	ToolCalls []interface{} `json:"tool_calls,omitempty"`
	ToolName  string        `json:"tool_name,omitempty"`
}

type request struct {
	Template string    `json:"template"`
	Messages []Message `json:"messages"`
	System   string    `json:"system"`
}

type result struct {
	Prompt *string `json:"prompt,omitempty"`
	Error  string  `json:"error,omitempty"`
}

var funcs = template.FuncMap{
	"json": func(v interface{}) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
}

func identifiers(n parse.Node) []string {
	switch n := n.(type) {
	case *parse.ListNode:
		var names []string
		for _, c := range n.Nodes {
			names = append(names, identifiers(c)...)
		}
		return names
	case *parse.TemplateNode:
		return identifiers(n.Pipe)
	case *parse.ActionNode:
		return identifiers(n.Pipe)
	case *parse.BranchNode:
		names := identifiers(n.Pipe)
		for _, l := range []*parse.ListNode{n.List, n.ElseList} {
			if l != nil {
				names = append(names, identifiers(l)...)
			}
		}
		return names
	case *parse.IfNode:
		return identifiers(&n.BranchNode)
	case *parse.RangeNode:
		return identifiers(&n.BranchNode)
	case *parse.WithNode:
		return identifiers(&n.BranchNode)
	case *parse.PipeNode:
		var names []string
		if n == nil {
			return nil
		}
		for _, c := range n.Cmds {
			for _, a := range c.Args {
				names = append(names, identifiers(a)...)
			}
		}
		return names
	case *parse.FieldNode:
		return n.Ident
	case *parse.VariableNode:
		return n.Ident
	}
	return nil
}

func uses(t *template.Template, name string) bool {
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		for _, id := range identifiers(tt.Tree.Root) {
			if strings.EqualFold(id, name) {
				return true
			}
		}
	}
	return false
}

func collate(msgs []Message) (string, []*Message) {
	var system []string
	var collated []*Message
	for i := range msgs {
		if msgs[i].Role == "system" {
			system = append(system, msgs[i].Content)
		}
		if len(collated) > 0 && collated[len(collated)-1].Role == msgs[i].Role && msgs[i].Role != "tool" {
			collated[len(collated)-1].Content += "\n\n" + msgs[i].Content
		} else {
			m := msgs[i]
			collated = append(collated, &m)
		}
	}
	return strings.Join(system, "\n\n"), collated
}

func render(req request) (string, error) {
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(req.Template)
	if err != nil {
		return "", err
	}
	msgs := append([]Message{}, req.Messages...)
	if len(msgs) > 0 && msgs[0].Role != "system" && req.System != "" {
		msgs = append([]Message{{Role: "system", Content: req.System}}, msgs...)
	}
	system, messages := collate(msgs)
	var b bytes.Buffer
	if uses(tmpl, "messages") {
		err = tmpl.Execute(&b, map[string]interface{}{
			"System":     system,
			"Messages":   messages,
			"Tools":      nil,
			"Response":   "",
			"Think":      false,
			"IsThinkSet": false,
		})
		return b.String(), err
	}
	// The legacy form: one execution per user turn with .System/.Prompt/.Response; the last
	// turn's .Response is left out (Ollama cuts the template at it).
	var sys, prompt, response string
	flush := func(cut bool) error {
		values := map[string]interface{}{"System": sys, "Prompt": prompt, "Response": response}
		if cut {
			text := req.Template
			if i := strings.Index(text, "{{ .Response }}"); i >= 0 {
				text = text[:i]
			}
			t, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(text)
			if err != nil {
				return err
			}
			return t.Execute(&b, values)
		}
		if err := tmpl.Execute(&b, values); err != nil {
			return err
		}
		sys, prompt, response = "", "", ""
		return nil
	}
	for _, m := range messages {
		switch m.Role {
		case "system":
			if prompt != "" || response != "" {
				if err := flush(false); err != nil {
					return "", err
				}
			}
			sys = m.Content
		case "user":
			if response != "" {
				if err := flush(false); err != nil {
					return "", err
				}
			}
			prompt = m.Content
		case "assistant":
			response = m.Content
		}
	}
	err = flush(true)
	return b.String(), err
}

func answer(req request) result {
	prompt, err := render(req)
	if err != nil {
		return result{Error: err.Error()}
	}
	return result{Prompt: &prompt}
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	data = bytes.TrimSpace(data)
	var out interface{}
	if len(data) > 0 && data[0] == '[' {
		var reqs []request
		if err := json.Unmarshal(data, &reqs); err != nil {
			fmt.Fprintln(os.Stderr, "bad input:", err)
			os.Exit(2)
		}
		results := make([]result, 0, len(reqs))
		for _, r := range reqs {
			results = append(results, answer(r))
		}
		out = results
	} else {
		var req request
		if err := json.Unmarshal(data, &req); err != nil {
			fmt.Fprintln(os.Stderr, "bad input:", err)
			os.Exit(2)
		}
		out = answer(req)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
