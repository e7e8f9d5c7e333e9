package realmail

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemon is a server's master process, run in the foreground so it is ours
// to stop, and sent SIGTERM by the kernel if the test binary dies first.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	watch    *exec.Cmd      // stops the server if this process dies
	watchdog io.WriteCloser // its stdin
}

func dovecotArgv(conf string) []string { return []string{"/usr/sbin/dovecot", "-F", "-c", conf} }
func postfixArgv(conf string) []string {
	return []string{"/usr/lib/postfix/sbin/master", "-c", conf, "-d"}
}

func (s *Servers) startDaemon(name string, argv ...string) (*daemon, error) {
	out, err := os.OpenFile(filepath.Join(s.Dir, name+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a stuck server is killed with its children;
	// Pdeathsig, so a panicking or killed test run leaves nothing behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { d.err = cmd.Wait(); close(d.done) }()
	s.daemons = append(s.daemons, d)
	// Pdeathsig alone is not enough: the kernel forgets it when a process
	// changes its credentials, which Postfix's master does. A watchdog
	// reads a pipe only this process holds: at EOF without "ok" (this
	// process died) it stops the server's whole process group. It has a
	// group of its own, so a Ctrl-C meant for go test does not stop it first.
	pgid := strconv.Itoa(cmd.Process.Pid)
	watch := exec.Command("/bin/sh", "-c", `trap '' INT HUP QUIT; read x; [ "$x" = ok ] && exit 0
kill -TERM -$0 2>/dev/null || exit 0
i=0; while kill -0 -$0 2>/dev/null && [ $i -lt 10 ]; do sleep 1; i=$((i+1)); done
kill -KILL -$0 2>/dev/null; exit 0`, pgid)
	watch.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if d.watchdog, err = watch.StdinPipe(); err != nil {
		return d, err
	}
	if err := watch.Start(); err != nil {
		return d, fmt.Errorf("start %s's watchdog: %w", name, err)
	}
	d.watch = watch
	return d, nil
}

// waitListening waits until every address accepts connections.
func (d *daemon) waitListening(addrs ...string) error {
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range addrs {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-d.done:
				return fmt.Errorf("%s exited at start: %v", d.name, d.err)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not listening on %s after 15s: %w", d.name, addr, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// stop asks the master to shut down with its children, and kills the
// process group if it has not within ten seconds.
func (d *daemon) stop() error {
	if d.watch != nil {
		// Stopped here, by us: the watchdog can go.
		io.WriteString(d.watchdog, "ok\n")
		d.watchdog.Close()
		defer d.watch.Wait()
	}
	pgid := d.cmd.Process.Pid
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.done
		return fmt.Errorf("%s did not stop within 10s of SIGTERM: killed", d.name)
	}
	// Postfix's master signals its children and exits without waiting
	// for them: wait until the whole group has exited.
	deadline := time.Now().Add(5 * time.Second)
	for groupRunning(pgid) {
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			return fmt.Errorf("%s: processes left 5s after the master stopped: killed", d.name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Restart stops one of the servers ("dovecot" or "postfix"), calls during
// while it is down, and starts it again on the same configuration, ports
// and mailboxes.
func (s *Servers) Restart(name string, during func()) error {
	i := slices.IndexFunc(s.daemons, func(d *daemon) bool { return d.name == name })
	if i < 0 {
		return fmt.Errorf("no %s running", name)
	}
	// The whole group at once, as an init system stops a service: asked
	// alone, Dovecot's master leaves its children running for seconds.
	d := s.daemons[i]
	syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	if err := d.stop(); err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	s.daemons = slices.Delete(s.daemons, i, i+1)
	during()
	var argv, addrs []string
	switch name {
	case "dovecot":
		argv = dovecotArgv(filepath.Join(s.Dir, "dovecot", "dovecot.conf"))
		addrs = []string{s.IMAPAddr, s.LMTPAddr}
	case "postfix":
		argv = postfixArgv(filepath.Join(s.Dir, "postfix", "conf"))
		addrs = []string{s.SMTPAddr, s.QuietAddr, s.SubmitAddr}
	}
	d, err := s.startDaemon(name, argv...)
	if err == nil {
		err = d.waitListening(addrs...)
	}
	if err != nil {
		return fmt.Errorf("start %s again: %w\n%s", name, err, s.Logs())
	}
	return nil
}

// groupRunning reports whether a process of group pgid is still running:
// exited ones wait as zombies until init reaps them, which in a container
// may take seconds.
func groupRunning(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		rest := string(b[i+1:])
		fields := strings.Fields(rest)
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
